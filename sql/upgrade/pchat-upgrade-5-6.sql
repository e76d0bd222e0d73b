-- pchat schema upgrade from version 5 to version 6.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-5-6.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

-- idx: the history search's text index follows the posts (issue 18
-- point 1): when each post was last written, by the database's clock
-- (INSERT, the author's edit or delete, an administrator's replace or
-- remove), and a key in that order. The indexer
-- (sql/pchat-search-index.sql) reads the posts written since its
-- watermark through k_message_recorded; a search scans with LIKE only
-- the posts written after the watermark. k_message_ts: a search for a
-- common text walks the newest posts of every room (stopping once a page
-- is full) instead of reading all the posts of the rooms it may read.
ALTER TABLE pchat_message
	ADD COLUMN recorded_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
		ON UPDATE CURRENT_TIMESTAMP(3)
		COMMENT 'when the row was last written, by the database''s clock (the search index follows it)',
	ADD KEY k_message_recorded (recorded_at),
	ADD KEY k_message_ts (ts_ms);
-- end idx

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 6), ('pchat_node', 6), ('pchat_group', 6), ('pchat_group_member', 6),
	('pchat_role', 6), ('pchat_scope', 6), ('pchat_policy', 6), ('pchat_addin', 6),
	('pchat_message', 6), ('pchat_invitation', 6), ('pchat_preference', 6),
	('pchat_compliance_event', 6), ('pchat_compliance_participant', 6),
	('pchat_compliance_state', 6), ('pchat_legal_hold', 6), ('pchat_file', 6),
	('pchat_file_token', 6)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
