-- pchat schema upgrade from version 5 to version 6 (issue 18).
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-5-6.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

-- story: stories and alerts (issue 18 point 4, doc/xccos.md 3.17). A
-- story's body is in content (so searching finds it), its title here;
-- is_story / is_alert (version 2) carry the flags.
ALTER TABLE pchat_message
	ADD COLUMN story_title VARCHAR(256) NULL
		COMMENT 'story: its title (is_story = 1); NULL for other posts';
-- end story

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 6), ('pchat_node', 6), ('pchat_group', 6), ('pchat_group_member', 6),
	('pchat_role', 6), ('pchat_scope', 6), ('pchat_policy', 6), ('pchat_addin', 6),
	('pchat_message', 6), ('pchat_invitation', 6), ('pchat_preference', 6),
	('pchat_compliance_event', 6), ('pchat_compliance_participant', 6),
	('pchat_compliance_state', 6), ('pchat_legal_hold', 6), ('pchat_file', 6),
	('pchat_file_token', 6)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
