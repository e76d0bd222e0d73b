-- pchat schema: creates every table of the Persistent Chat store.
-- Target: MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4. Run inside the pchat database:
--   mariadb pchat < sql/pchat-create.sql
-- Upgrades live in sql/upgrade/ and are applied in order; the `version` table
-- (Kamailio convention: one row per table) records what is installed.

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
