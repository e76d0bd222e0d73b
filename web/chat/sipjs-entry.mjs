// pchat: what web/chat/chat.js takes from SIP.js; tools/build-webchat.sh
// bundles it into web/chat/sipjs.js.
export { UserAgent, Inviter, SessionState } from "sip.js";
