-- Drops every pchat table and its version rows. Destroys all chat data.
SET FOREIGN_KEY_CHECKS = 0;
DROP TABLE IF EXISTS pchat_preference, pchat_invitation, pchat_message, pchat_addin,
	pchat_policy, pchat_scope, pchat_role, pchat_group_member, pchat_group, pchat_node,
	pchat_config, pchat_compliance_event, pchat_compliance_participant,
	pchat_compliance_state, pchat_legal_hold, pchat_file, pchat_file_token;
-- follow: followed rooms
DROP TABLE IF EXISTS pchat_follow;
-- end follow
SET FOREIGN_KEY_CHECKS = 1;
DELETE FROM version WHERE table_name LIKE 'pchat\_%';
