-- pchat schema upgrade from version 5 to version 6 (issue 18: find and
-- follow). Each block below is one feature's; they change no existing row.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-5-6.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

-- story: stories and alerts (issue 18 point 4, doc/xccos.md 3.19). A
-- story's body is in content (so searching finds it), its title here;
-- is_story / is_alert (version 2) carry the flags.
ALTER TABLE pchat_message
	ADD COLUMN story_title VARCHAR(256) NULL
		COMMENT 'story: its title (is_story = 1); NULL for other posts';
-- end story

-- follow: followed rooms and read marks per user (issue 18 point 2).
-- Lync keeps followed rooms in a presence category the chat server never
-- sees; here the server keeps them, so every device of a user sees the
-- same list and the same read marks. A room's rows go with the room.
CREATE TABLE pchat_follow (
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	room_id BIGINT UNSIGNED NOT NULL COMMENT 'pchat_node.id of the room',
	last_read_seq BIGINT UNSIGNED NOT NULL DEFAULT 0
		COMMENT 'the user has read the room up to this pchat_message.seq',
	created_ms BIGINT NOT NULL COMMENT 'ms since 1970 UTC: followed since',
	PRIMARY KEY (user_uri, room_id),
	KEY k_follow_room (room_id),
	CONSTRAINT fk_follow_room FOREIGN KEY (room_id) REFERENCES pchat_node (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Followed rooms and read marks (cmd:follow, cmd:followlist)';
-- end follow

-- alert: keyword and author alerts (issue 18 point 3)
-- A user's alert subscriptions: a word (substring of a post's text under
-- the column's collation, as the history search) or an author, in every
-- room the user may read or in one. Capped per user by the module
-- parameter alert_max. No foreign key: a removed room's alerts stay and
-- match nothing.
CREATE TABLE pchat_alert (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'the subscriber, sip:user@domain, canonical',
	kind ENUM('word', 'author') NOT NULL,
	pattern VARCHAR(255) NOT NULL COMMENT 'word: the text as given (matched folded); author: canonical sip:user@domain',
	room_id BIGINT UNSIGNED NULL COMMENT 'pchat_node.id of the room; NULL: every room the user may read',
	created_ms BIGINT NOT NULL COMMENT 'ms since 1970 UTC',
	KEY k_alert_user (user_uri)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Keyword and author alerts (pchat extension cmd:alertadd)';
-- end alert

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
	('pchat_file_token', 6), ('pchat_follow', 6), ('pchat_alert', 6)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
