-- pchat history search: the optional text index (issue 18 point 1), a
-- Mroonga side table beside pchat_message (a story: its title, a blank,
-- its body), fed after commit by each chat node's indexer process
-- (module parameter search_index = auto).
-- Needs the Mroonga plugin on this database node (Debian
-- mariadb-plugin-mroonga; my.cnf: plugin-load-add = ha_mroonga, or once:
-- INSTALL SONAME 'ha_mroonga'). Without these tables the search scans
-- with LIKE, with the same results.
-- Run inside the pchat database: mariadb pchat < sql/pchat-search-index.sql
--
-- Node-local: Galera replicates InnoDB rows only, so each database node
-- holds its own index and watermark, fed by the chat nodes connected to
-- it (REPLACE: two feeders on one node write the same rows). Galera does
-- replicate this DDL: install the plugin on every node of the cluster
-- before running it. After a failover to another database node, that
-- node's index catches up from its own watermark; until it is at most a
-- minute behind, searches there use LIKE. To rebuild an index (a crash
-- can leave Mroonga's files to repair): DROP both tables and run this
-- script again; the indexer starts over from the oldest post. An index
-- built before ts_ms was added keeps working without it (texts of medium
-- frequency then fall back to a long walk or a whole read): rebuild it so.
--
-- pchat_search_fts_recent holds the newest posts only (module parameter
-- search_recent_posts, about a million): a text of medium frequency has
-- thousands of hits in the whole index, and Mroonga reads every one of
-- them before it can sort; in the newest posts it finds a page at a
-- fraction of that cost. Its own watermark (state row 2) and its floor
-- recent_from: every indexed post with ts_ms >= recent_from is in it.
-- Without it (an older script) searches use the whole index as before.

CREATE TABLE IF NOT EXISTS pchat_search_fts (
	room_id BIGINT UNSIGNED NOT NULL,
	seq BIGINT UNSIGNED NOT NULL,
	ts_ms BIGINT NOT NULL DEFAULT 0 COMMENT 'the post''s ts_ms: hits are asked newest first',
	content MEDIUMTEXT NOT NULL,
	PRIMARY KEY (room_id, seq),
	FULLTEXT INDEX ft_search_content (content)
		COMMENT 'tokenizer "TokenBigramSplitSymbolAlphaDigit", normalizer "NormalizerMySQLUnicodeCI"'
) ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='History search index: the newest text of each post (node-local, rebuilt from pchat_message)';

CREATE TABLE IF NOT EXISTS pchat_search_fts_state (
	id TINYINT UNSIGNED NOT NULL PRIMARY KEY,
	wm_at TIMESTAMP(3) NOT NULL DEFAULT '1970-01-01 00:00:01.000'
		COMMENT 'watermark: posts with (recorded_at, room_id, seq) up to this are indexed',
	wm_room BIGINT UNSIGNED NOT NULL DEFAULT 0,
	wm_seq BIGINT UNSIGNED NOT NULL DEFAULT 0,
	indexed BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'rows written into the index'
) ENGINE=Mroonga DEFAULT CHARSET=utf8mb4
  COMMENT='History search index: its watermark (node-local, as the index)';

INSERT IGNORE INTO pchat_search_fts_state (id, wm_at) VALUES (1, '1970-01-01 00:00:01.000');

CREATE TABLE IF NOT EXISTS pchat_search_fts_recent (
	room_id BIGINT UNSIGNED NOT NULL,
	seq BIGINT UNSIGNED NOT NULL,
	ts_ms BIGINT NOT NULL DEFAULT 0,
	content MEDIUMTEXT NOT NULL,
	PRIMARY KEY (room_id, seq),
	KEY k_recent_ts (ts_ms),
	FULLTEXT INDEX ft_recent_content (content)
		COMMENT 'tokenizer "TokenBigramSplitSymbolAlphaDigit", normalizer "NormalizerMySQLUnicodeCI"'
) ENGINE=Mroonga DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='History search index of the newest posts (search_recent_posts; node-local)';

ALTER TABLE pchat_search_fts_state ADD COLUMN IF NOT EXISTS recent_from BIGINT NOT NULL
	DEFAULT 0 COMMENT 'row 2: pchat_search_fts_recent holds every indexed post from this ts_ms on';

INSERT IGNORE INTO pchat_search_fts_state (id, wm_at) VALUES (2, '1970-01-01 00:00:01.000');
