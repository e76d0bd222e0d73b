-- pchat schema, version 6: creates every table of the Persistent Chat store.
-- Target: MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4. Run inside the pchat database:
--   mariadb pchat < sql/pchat-create.sql
-- An existing store is upgraded with the scripts in sql/upgrade/, in order
-- (pchat-upgrade-1-2.sql, pchat-upgrade-2-3.sql, ...). The `version` table (Kamailio convention:
-- one row per table) records what is installed; the pchat module refuses to
-- start on a version it does not know and names the upgrade to run.

CREATE TABLE IF NOT EXISTS version (
	table_name VARCHAR(32) NOT NULL PRIMARY KEY
		COMMENT 'table name, as in Kamailio''s own version table',
	table_version INT UNSIGNED NOT NULL DEFAULT 0
		COMMENT 'schema version of that table'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='Kamailio-style schema versions; pchat refuses versions it does not know';

CREATE TABLE pchat_config (
	name VARCHAR(64) NOT NULL PRIMARY KEY
		COMMENT 'setting name (Lync: Set-CsPersistentChatConfiguration field)',
	value VARCHAR(255) NOT NULL
		COMMENT 'setting value, parsed by the module according to the name',
	description VARCHAR(255) NOT NULL DEFAULT ''
		COMMENT 'what the setting controls, for the DBA'
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4
  COMMENT='Service-wide configuration read by the pchat module at run time';

INSERT INTO pchat_config (name, value, description) VALUES
	('search_limit', '999',
		'maximum results of a room search or history query (XCCOS searchLimit)'),
	('message_size_limit', '512',
		'maximum characters of a chat message (XCCOS messageSizeLimit)'),
	('story_size_limit', '4096',
		'maximum characters of a story (XCCOS storySizeLimit)'),
	('root_category_guid', UUID(),
		'GUID of the root category; rootUri is ma-cat://<domain>/<guid>'),
	('db_version', UUID(),
		'identifier of this store, sent as dbVersion so clients can drop caches');

INSERT INTO version (table_name, table_version) VALUES ('pchat_config', 1)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);

-- Version 2 (version 3: the URI columns compare bytes, utf8mb4_bin, and
-- hold canonical identities: sip:user@host, see modules/pchat/pchat_identity.h)

-- One tree for categories and rooms, after Lync's tblNode. The root category
-- has parent_id NULL. Rooms are leaves.
CREATE TABLE pchat_node (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	guid CHAR(36) NOT NULL
		COMMENT 'stable id in URIs: ma-chan://<domain>/<guid>, ma-cat://<domain>/<guid>',
	kind ENUM('category', 'room') NOT NULL,
	parent_id BIGINT UNSIGNED NULL
		COMMENT 'containing category; NULL only for the root category',
	name VARCHAR(256) NOT NULL
		COMMENT 'unique among nodes of the same kind (case-insensitive)',
	description VARCHAR(256) NOT NULL DEFAULT '',
	topic VARCHAR(256) NOT NULL DEFAULT '' COMMENT 'room only',
	privacy ENUM('open', 'closed', 'secret') NOT NULL DEFAULT 'closed'
		COMMENT 'room only: open = anyone may join; closed = members join, others see it; secret = only members see it',
	room_type ENUM('normal', 'auditorium') NOT NULL DEFAULT 'normal'
		COMMENT 'room only: in an auditorium only presenters post',
	invitations ENUM('inherit', 'false') NOT NULL DEFAULT 'inherit'
		COMMENT 'room only: inherit = follow the category, false = never invite',
	disabled TINYINT(1) NOT NULL DEFAULT 0 COMMENT 'room only: nobody may join or post',
	addin_id INT UNSIGNED NULL COMMENT 'room only: pchat_addin shown beside the room',
	file_upload TINYINT(1) NOT NULL DEFAULT 1 COMMENT 'category only: files may be posted',
	invitations_enabled TINYINT(1) NOT NULL DEFAULT 1
		COMMENT 'category only: adding a member to a room sends an invitation',
	chat_history TINYINT(1) NOT NULL DEFAULT 1 COMMENT 'category only: history is kept',
	retention_days INT UNSIGNED NULL
		COMMENT 'category only: messages older than this are removed (unless held); NULL: kept',
	last_seq BIGINT UNSIGNED NOT NULL DEFAULT 0
		COMMENT 'room only: sequence number of its newest message',
	created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	updated_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3),
	UNIQUE KEY uk_node_guid (guid),
	UNIQUE KEY uk_node_kind_name (kind, name),
	KEY k_node_parent (parent_id, kind),
	CONSTRAINT fk_node_parent FOREIGN KEY (parent_id) REFERENCES pchat_node (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Categories and rooms (Lync tblNode)';

-- Named groups of users kept by the administrator; roles and scopes may name
-- a group instead of a user or a domain.
CREATE TABLE pchat_group (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	name VARCHAR(128) NOT NULL,
	description VARCHAR(256) NOT NULL DEFAULT '',
	UNIQUE KEY uk_group_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Administrator-kept groups of users';

CREATE TABLE pchat_group_member (
	group_id INT UNSIGNED NOT NULL,
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	PRIMARY KEY (group_id, user_uri),
	KEY k_group_member_user (user_uri),
	CONSTRAINT fk_group_member_group FOREIGN KEY (group_id) REFERENCES pchat_group (id)
		ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Members of pchat_group';

-- Who holds which role on a node. A principal is a user URI, a whole domain,
-- or a group. Roles on a category apply to every room below it.
CREATE TABLE pchat_role (
	node_id BIGINT UNSIGNED NOT NULL,
	role ENUM('member', 'manager', 'presenter', 'creator') NOT NULL,
	principal_type ENUM('user', 'domain', 'group') NOT NULL,
	principal VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'sip:user@domain or a domain name, canonical; or a pchat_group name',
	PRIMARY KEY (node_id, role, principal_type, principal),
	KEY k_role_principal (principal_type, principal),
	CONSTRAINT fk_role_node FOREIGN KEY (node_id) REFERENCES pchat_node (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Role grants per node (Lync tblPrincipalRole)';

-- The ethical wall of a category: only principals in an allowed scope, and
-- none in a denied scope, may be members of its rooms.
CREATE TABLE pchat_scope (
	category_id BIGINT UNSIGNED NOT NULL,
	scope ENUM('allowed', 'denied') NOT NULL,
	principal_type ENUM('user', 'domain', 'group') NOT NULL,
	principal VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'sip:user@domain or a domain name, canonical; or a pchat_group name',
	PRIMARY KEY (category_id, scope, principal_type, principal),
	CONSTRAINT fk_scope_node FOREIGN KEY (category_id) REFERENCES pchat_node (id)
		ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Allowed and denied members of a category (Lync tblScopePrincipal)';

-- Persistent Chat policy: the most specific row wins (user, then domain,
-- then global).
CREATE TABLE pchat_policy (
	scope_type ENUM('global', 'domain', 'user') NOT NULL,
	scope VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'empty for global; domain name; or sip:user@domain; canonical',
	enabled TINYINT(1) NOT NULL,
	PRIMARY KEY (scope_type, scope)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='EnablePersistentChat per user, per domain and globally';

CREATE TABLE pchat_addin (
	id INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	name VARCHAR(256) NOT NULL,
	url VARCHAR(1024) NOT NULL,
	UNIQUE KEY uk_addin_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Room add-ins: a web page shown beside the room';

ALTER TABLE pchat_node ADD CONSTRAINT fk_node_addin FOREIGN KEY (addin_id)
	REFERENCES pchat_addin (id);

-- Room history. (room_id, seq) orders a room's messages; ts_ms is the server
-- time of the commit.
CREATE TABLE pchat_message (
	room_id BIGINT UNSIGNED NOT NULL,
	seq BIGINT UNSIGNED NOT NULL COMMENT 'per-room sequence number, from pchat_node.last_seq',
	ts_ms BIGINT NOT NULL COMMENT 'server timestamp, ms since 1970 UTC',
	author VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain of the poster, canonical',
	content MEDIUMTEXT NOT NULL,
	is_story TINYINT(1) NOT NULL DEFAULT 0,
	is_alert TINYINT(1) NOT NULL DEFAULT 0,
	status ENUM('posted', 'replaced', 'removed') NOT NULL DEFAULT 'posted'
		COMMENT 'replaced/removed by an administrator (content then holds the replacement)',
	PRIMARY KEY (room_id, seq),
	KEY k_message_room_time (room_id, ts_ms),
	KEY k_message_author_time (author, ts_ms),
	FULLTEXT KEY ft_message_content (content),
	CONSTRAINT fk_message_room FOREIGN KEY (room_id) REFERENCES pchat_node (id) ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Chat history (Lync tblChat)';

CREATE TABLE pchat_invitation (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	room_id BIGINT UNSIGNED NOT NULL,
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	invited_by VARCHAR(255) COLLATE utf8mb4_bin NOT NULL DEFAULT ''
		COMMENT 'canonical URI of the inviting user, or admin',
	created_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	UNIQUE KEY uk_invitation_room_user (room_id, user_uri),
	KEY k_invitation_user (user_uri),
	CONSTRAINT fk_invitation_room FOREIGN KEY (room_id) REFERENCES pchat_node (id)
		ON DELETE CASCADE
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Pending invitations; consumed when the user joins';

CREATE TABLE pchat_preference (
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	label VARCHAR(128) NOT NULL,
	seqid INT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'version, for optimistic updates',
	content MEDIUMBLOB NOT NULL,
	PRIMARY KEY (user_uri, label)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Client preference bundles (cmd:getpref / cmd:setpref)';

-- Version 4: the compliance service, retention and legal hold (issue 15).

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

-- Files posted into rooms (issue 16): the bytes live in the operator's
-- file_dir under stored_name (chosen by the server, never the client's
-- name), <stored_name>.part while the upload runs. No foreign key: the
-- retention job removes a file (row and bytes) once its post is gone.
CREATE TABLE pchat_file (
	id BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
	room_id BIGINT UNSIGNED NOT NULL COMMENT 'pchat_node.id of the room',
	uploader VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	stored_name VARCHAR(64) COLLATE utf8mb4_bin NOT NULL
		COMMENT 'server-chosen unique name in file_dir (Lync uniqueFilename/reposFileName)',
	original_name VARCHAR(255) NOT NULL COMMENT 'the name the client gave: metadata only',
	size BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT 'bytes received so far; the file size once complete',
	total BIGINT UNSIGNED NULL COMMENT 'the length the first chunk announced',
	sha256 CHAR(64) NULL COMMENT 'hex SHA-256 of the complete file',
	created_ms BIGINT NOT NULL COMMENT 'ms since 1970 UTC: the upload token was issued',
	completed_ms BIGINT NULL COMMENT 'ms since 1970 UTC: the last chunk arrived',
	complete TINYINT(1) NOT NULL DEFAULT 0 COMMENT '1: uploaded, checked and renamed',
	msg_seq BIGINT UNSIGNED NULL COMMENT 'the post that announced it',
	post_kept TINYINT(1) NOT NULL DEFAULT 0
		COMMENT '1: the post is in pchat_message: the file goes when it goes (retention, room removal, remove-message)',
	UNIQUE KEY uk_file_stored (stored_name),
	KEY k_file_room (room_id, complete)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='Files posted into rooms: metadata (the bytes are in file_dir)';

-- Upload and download tokens (Lync tblFileToken): in the database, not in
-- shm, so that a token one node of a pool issued works on any node's file
-- service.
CREATE TABLE pchat_file_token (
	token CHAR(32) COLLATE utf8mb4_bin NOT NULL PRIMARY KEY COMMENT '128 random bits, hex',
	user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'who it was issued to, canonical',
	room_id BIGINT UNSIGNED NOT NULL COMMENT 'pchat_node.id of the room',
	direction ENUM('up', 'down') NOT NULL COMMENT 'up: cmd:getfutok, down: cmd:getfdtok',
	file_id BIGINT UNSIGNED NOT NULL
		COMMENT 'pchat_file.id: the upload it feeds or the file it reads; 0: any file of the room (a Lync download names it in DownloadChunk)',
	expires_ms BIGINT NOT NULL COMMENT 'ms since 1970 UTC',
	KEY k_ftoken_expires (expires_ms)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci
  COMMENT='File upload and download tokens (Lync tblFileToken)';

INSERT INTO pchat_node (guid, kind, parent_id, name, description)
	VALUES (UUID(), 'category', NULL, 'Root', 'The root category');
UPDATE pchat_config SET value = (SELECT guid FROM pchat_node WHERE parent_id IS NULL)
	WHERE name = 'root_category_guid';

INSERT INTO pchat_policy (scope_type, scope, enabled) VALUES ('global', '', 1);

INSERT INTO pchat_config (name, value, description) VALUES
	('default_chat_history', '30', 'messages sent on a first history request (1-500)'),
	('participant_update_limit', '75', 'rooms above this many online participants get no roster notices'),
	('max_file_size_kb', '20000', 'largest file that may be posted, KB'),
	('room_management_url', '', 'URL of the room-management web application, empty for none')
	ON DUPLICATE KEY UPDATE name = name;

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

-- story: stories and alerts (issue 18 point 4, doc/xccos.md 3.19). A
-- story's body is in content (so searching finds it), its title here;
-- is_story / is_alert (version 2) carry the flags.
ALTER TABLE pchat_message
	ADD COLUMN story_title VARCHAR(256) NULL
		COMMENT 'story: its title (is_story = 1); NULL for other posts';
-- end story
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
-- end follow
