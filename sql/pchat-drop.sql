-- Drops every pchat table and its version rows. Destroys all chat data.
DROP TABLE IF EXISTS pchat_config;
DELETE FROM version WHERE table_name LIKE 'pchat\_%';
