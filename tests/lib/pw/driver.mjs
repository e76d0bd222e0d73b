// pchat tests: Playwright (playwright-core, pinned in package-lock.json) driving Debian's
// chromium for the Python tests (tests/lib/pwdriver.py): one JSON command a
// line on stdin, one JSON answer a line on stdout, in order.
import { chromium } from 'playwright-core';
import { createInterface } from 'node:readline';

const browser = await chromium.launch({
	executablePath: process.env.PCHAT_CHROMIUM || '/usr/bin/chromium',
	args: ['--no-sandbox', '--disable-gpu'],
});
const contexts = new Map();
const pages = new Map();

// each operation gets the command; what it returns is the answer's value
const ops = {
	async context(c) {
		contexts.set(c.ctx, await browser.newContext({
			httpCredentials: c.credentials || undefined,
			viewport: c.viewport || { width: 1100, height: 800 },
		}));
	},
	async page(c) {
		const page = await contexts.get(c.ctx).newPage();
		page.on('dialog', d => d.dismiss());  // an alert() must not hang the test
		pages.set(c.page, page);
	},
	goto: c => pages.get(c.page).goto(c.url).then(() => null),
	fill: c => pages.get(c.page).fill(c.selector, c.value),
	click: c => pages.get(c.page).click(c.selector),
	select: c => pages.get(c.page).selectOption(c.selector, c.value).then(() => null),
	text: c => pages.get(c.page).textContent(c.selector),
	eval: c => pages.get(c.page).evaluate(c.js),
	wait: c => poll(pages.get(c.page), c.js, c.timeout || 10000),
	screenshot: c => pages.get(c.page).screenshot({ path: c.path }).then(() => null),
	async close_page(c) {
		await pages.get(c.page).close({ runBeforeUnload: false });
		pages.delete(c.page);
	},
	async quit() {
		await browser.close();
		setImmediate(() => process.exit(0));
	},
};

// a navigation under way destroys the page's context: not yet, ask again
function navigating(e) {
	if (/context was destroyed|navigat/i.test(e.message))
		return false;
	throw e;
}

// waitForFunction evals a string in the page, which the pages' CSP forbids
// (no 'unsafe-eval'): poll with evaluate (over CDP, not eval) instead
async function poll(page, js, timeout) {
	const end = Date.now() + timeout;
	while (!await page.evaluate(js).catch(navigating)) {
		if (Date.now() > end)
			throw new Error(`timed out after ${timeout} ms waiting for ${js}`);
		await new Promise(r => setTimeout(r, 50));
	}
	return null;
}

const reply = m => process.stdout.write(JSON.stringify(m) + '\n');
reply({ ready: browser.version() });
for await (const line of createInterface({ input: process.stdin })) {
	const c = JSON.parse(line);
	try {
		const value = await ops[c.op](c);
		reply({ ok: true, value: value === undefined ? null : value });
	} catch (e) {
		reply({ ok: false, error: String(e && e.message || e) });
	}
}
await browser.close();
