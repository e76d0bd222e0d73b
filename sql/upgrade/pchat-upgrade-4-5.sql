-- pchat schema upgrade from version 4 to version 5: files posted into rooms
-- and their upload/download tokens (issue 16). Adds tables; changes no
-- existing row.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-4-5.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

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

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 5), ('pchat_node', 5), ('pchat_group', 5), ('pchat_group_member', 5),
	('pchat_role', 5), ('pchat_scope', 5), ('pchat_policy', 5), ('pchat_addin', 5),
	('pchat_message', 5), ('pchat_invitation', 5), ('pchat_preference', 5),
	('pchat_compliance_event', 5), ('pchat_compliance_participant', 5),
	('pchat_compliance_state', 5), ('pchat_legal_hold', 5), ('pchat_file', 5),
	('pchat_file_token', 5)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
