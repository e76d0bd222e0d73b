-- pchat schema upgrade from version 5 to version 6 (issue 18: find and
-- follow). Each block below is one feature's; they change no existing row.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-5-6.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

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

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 6), ('pchat_node', 6), ('pchat_group', 6), ('pchat_group_member', 6),
	('pchat_role', 6), ('pchat_scope', 6), ('pchat_policy', 6), ('pchat_addin', 6),
	('pchat_message', 6), ('pchat_invitation', 6), ('pchat_preference', 6),
	('pchat_compliance_event', 6), ('pchat_compliance_participant', 6),
	('pchat_compliance_state', 6), ('pchat_legal_hold', 6), ('pchat_file', 6),
	('pchat_file_token', 6), ('pchat_follow', 6)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
-- end follow
