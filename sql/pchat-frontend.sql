-- Tables of the pchat front-end (cfg/pchat-frontend.cfg, and
-- cfg/pchat-standalone.cfg built WITH_AUTH): Kamailio's standard
-- `subscriber` table, read by auth_db for 407 Digest authentication.
-- Same layout as Kamailio 5.6's utils/kamctl/mysql/auth_db-create.sql;
-- auth_db checks the `version` row (subscriber = 7).
--
-- Add a user (plain-text password; ha1/ha1b may stay empty with
-- calculate_ha1 on, as in the sample configurations):
--   INSERT INTO subscriber (username, domain, password)
--     VALUES ('alice', 'example.com', 'secret');

CREATE TABLE IF NOT EXISTS `version` (
    `id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    `table_name` VARCHAR(32) NOT NULL,
    `table_version` INT UNSIGNED DEFAULT 0 NOT NULL,
    CONSTRAINT table_name_idx UNIQUE (`table_name`)
);

CREATE TABLE IF NOT EXISTS `subscriber` (
    `id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    `username` VARCHAR(64) DEFAULT '' NOT NULL,
    `domain` VARCHAR(64) DEFAULT '' NOT NULL,
    `password` VARCHAR(64) DEFAULT '' NOT NULL,
    `ha1` VARCHAR(128) DEFAULT '' NOT NULL,
    `ha1b` VARCHAR(128) DEFAULT '' NOT NULL,
    CONSTRAINT account_idx UNIQUE (`username`, `domain`),
    KEY username_idx (`username`)
);

INSERT INTO `version` (table_name, table_version) VALUES ('subscriber', 7)
    ON DUPLICATE KEY UPDATE table_version = 7;

-- alert: keyword and author alerts kept for offline users (front-end
-- WITH_ALERT_SILO): Kamailio's msilo table, as in Kamailio 5.6's
-- utils/kamctl/mysql/msilo-create.sql (msilo checks silo = 8).
CREATE TABLE IF NOT EXISTS `silo` (
    `id` INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
    `src_addr` VARCHAR(255) DEFAULT '' NOT NULL,
    `dst_addr` VARCHAR(255) DEFAULT '' NOT NULL,
    `username` VARCHAR(64) DEFAULT '' NOT NULL,
    `domain` VARCHAR(64) DEFAULT '' NOT NULL,
    `inc_time` INT DEFAULT 0 NOT NULL,
    `exp_time` INT DEFAULT 0 NOT NULL,
    `snd_time` INT DEFAULT 0 NOT NULL,
    `ctype` VARCHAR(32) DEFAULT 'text/plain' NOT NULL,
    `body` BLOB,
    `extra_hdrs` TEXT,
    `callid` VARCHAR(128) DEFAULT '' NOT NULL,
    `status` INT DEFAULT 0 NOT NULL,
    KEY account_idx (`username`, `domain`)
);

INSERT INTO `version` (table_name, table_version) VALUES ('silo', 8)
    ON DUPLICATE KEY UPDATE table_version = 8;
-- end alert
