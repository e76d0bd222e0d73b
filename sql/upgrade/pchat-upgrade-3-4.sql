-- pchat schema upgrade from version 3 to version 4: the compliance service,
-- retention and legal hold (issue 15). Adds tables and settings; changes no
-- existing row.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-3-4.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

ALTER TABLE pchat_node ADD COLUMN retention_days INT UNSIGNED NULL
	COMMENT 'category only: messages older than this are removed (unless held); NULL: kept'
	AFTER chat_history;


-- Compliance events, written in the same transaction as the action they
-- record (Lync tblComplianceData); an adapter run exports them and then
-- advances pchat_compliance_state.last_event_id. No foreign keys: an
-- event outlives its room and its user.
CREATE TABLE pchat_compliance_event (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	type ENUM('JOIN', 'PART', 'CHAT', 'BACKCHAT', 'SEARCH', 'FILEUPLOAD', 'FILEDOWNLOAD',
		'REPLACE', 'REMOVE', 'CLEAR', 'EDIT', 'DELETE', 'ADMIN') NOT NULL
		COMMENT 'REPLACE/REMOVE/CLEAR: an administrator (Lync types 10 and 11); EDIT/DELETE: the author; ADMIN: an RPC changed rooms, categories or roles',
	ts_ms BIGINT NOT NULL COMMENT 'when it happened, ms since 1970 UTC (server clock)',
	room_id BIGINT UNSIGNED NULL COMMENT 'pchat_node.id of the room or category',
	room_uri VARCHAR(255) NULL COMMENT 'ma-chan:// or ma-cat:// URI at the time',
	room_name VARCHAR(256) NULL COMMENT 'name at the time',
	msg_seq BIGINT UNSIGNED NULL COMMENT 'the message: CHAT, REPLACE, REMOVE, EDIT, DELETE',
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'who: canonical sip:user@domain, or rpc:<caller> for an administrator',
	content MEDIUMTEXT NULL
		COMMENT 'CHAT/EDIT/REPLACE: the (new) text; SEARCH: the query; FILE*: the stored file name',
	detail MEDIUMTEXT NULL
		COMMENT 'JSON: the original text, a count of messages read, before/after of an RPC change',
	node VARCHAR(64) NOT NULL DEFAULT '' COMMENT 'the chat node that recorded it',
	KEY k_cevent_time (ts_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Compliance events waiting for, or kept after, an adapter run (Lync tblComplianceData)';

-- Who was in which room when (Lync tblComplianceParticipant).
CREATE TABLE pchat_compliance_participant (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	room_id BIGINT UNSIGNED NOT NULL,
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	joined_ms BIGINT NOT NULL,
	parted_ms BIGINT NULL COMMENT 'NULL while joined',
	node VARCHAR(64) NOT NULL DEFAULT '',
	session_id VARCHAR(64) NOT NULL DEFAULT ''
		COMMENT 'random per node start: rows of a node that died are closed when it starts again',
	KEY k_cpart_open (node, parted_ms),
	KEY k_cpart_room (room_id, user_uri)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Room participation for compliance (Lync tblComplianceParticipant)';

-- One row: how far the adapter got, and the lease of the node running it
-- (Lync tblComplianceState).
CREATE TABLE pchat_compliance_state (
	id TINYINT UNSIGNED NOT NULL PRIMARY KEY COMMENT 'always 1',
	last_event_id BIGINT UNSIGNED NOT NULL DEFAULT 0
		COMMENT 'the newest event an adapter run has written out safely',
	holder VARCHAR(64) NULL COMMENT 'the node holding the lease; NULL: nobody',
	lease_until_ms BIGINT NOT NULL DEFAULT 0,
	last_run_ms BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Compliance adapter progress and lease (Lync tblComplianceState)';

-- A legal hold suspends retention's removal of what it covers.
CREATE TABLE pchat_legal_hold (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	scope_type ENUM('room', 'category', 'user') NOT NULL,
	scope VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'room/category: its guid; user: sip:user@domain, canonical',
	reason VARCHAR(255) NOT NULL DEFAULT '',
	created_by VARCHAR(255) NOT NULL DEFAULT '',
	created_ms BIGINT NOT NULL,
	UNIQUE KEY uk_hold_scope (scope_type, scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Legal holds: nothing they cover is removed by retention';

INSERT INTO pchat_config (name, value, description) VALUES
	('compliance', '0', '1: every join, part, post, history read and search is recorded for compliance'),
	('compliance_adapter', 'xml', 'xml (Lync XmlAdapter), jsonl (JSON Lines) or empty (nothing written)'),
	('compliance_output_dir', '', 'directory the adapter writes to (AdapterOutputDirectory)'),
	('compliance_run_interval', '900', 'seconds between adapter runs, 60 to 2592000 (RunInterval)'),
	('compliance_one_room_per_file', '0', '1: one output file per room (OneChatRoomPerOutputFile)'),
	('compliance_add_room_details', '0', '1: room details in the output (AddChatRoomDetails)'),
	('compliance_add_user_details', '0', '1: user details in the output (AddUserDetails)')
	ON DUPLICATE KEY UPDATE name = name;

-- c15ops (XSLT post-processing, CustomConfiguration)
INSERT INTO pchat_config (name, value, description) VALUES
	('compliance_xslt', '', 'XSLT stylesheet applied to each xml adapter file (CustomConfiguration), empty for none')
	ON DUPLICATE KEY UPDATE name = name;
-- end c15ops

-- c15ops (clock jumps): the database's clock at each event's INSERT, which
-- the adapter run's gap rule compares with the database's clock (ts_ms is
-- the recording node's, which may jump)
ALTER TABLE pchat_compliance_event ADD COLUMN recorded_ms BIGINT NOT NULL
	DEFAULT (CAST(ROUND(UNIX_TIMESTAMP(NOW(3)) * 1000) AS SIGNED))
	COMMENT 'ms since 1970 by the database''s clock at INSERT (the export''s gap rule)';
-- end c15ops (clock jumps)

INSERT INTO pchat_compliance_state (id) VALUES (1);

-- author edit/delete (issue 15 point 6): the author's own change of a post
-- (XCCOS extension cmd:msgedit / cmd:msgdel). The row keeps the newest text,
-- or becomes a tombstone (content cleared); every version stays in the
-- compliance record (EDIT/DELETE events).
ALTER TABLE pchat_message
	ADD COLUMN author_change ENUM('edited', 'deleted') NULL
		COMMENT 'author edit/delete: NULL as posted; edited (content is the newest text) or deleted (a tombstone, content empty)',
	ADD COLUMN changed_ms BIGINT NULL
		COMMENT 'author edit/delete: when the author last changed it, ms since 1970 UTC';

INSERT INTO pchat_config (name, value, description) VALUES
	('edit_window_s', '900', 'seconds after a post during which its author may edit or delete it (0: never)')
	ON DUPLICATE KEY UPDATE name = name;
-- end of author edit/delete

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 4), ('pchat_node', 4), ('pchat_group', 4), ('pchat_group_member', 4),
	('pchat_role', 4), ('pchat_scope', 4), ('pchat_policy', 4), ('pchat_addin', 4),
	('pchat_message', 4), ('pchat_invitation', 4), ('pchat_preference', 4),
	('pchat_compliance_event', 4), ('pchat_compliance_participant', 4),
	('pchat_compliance_state', 4), ('pchat_legal_hold', 4)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
