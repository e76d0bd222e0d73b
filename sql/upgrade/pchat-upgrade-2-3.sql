-- pchat schema upgrade from version 2 to version 3: one canonical identity.
-- The URI columns compare bytes (utf8mb4_bin: 'müller' is not 'muller', 'A'
-- is not 'a') and hold canonical identities, the form the module compares
-- (modules/pchat/pchat_identity.h): sip:user@host, sips: written sip:, the
-- host in lower case without port, parameters, headers or trailing dot, the
-- user part with %-escapes of unreserved characters decoded, other escapes
-- in upper-case hex, ASCII letters in lower case. Existing rows are
-- rewritten to that form; where two rows become one (e.g. a role given to
-- both sip:a@x and sip:a@x;transport=tcp) one is kept.
-- Run inside the pchat database: mariadb pchat < sql/upgrade/pchat-upgrade-2-3.sql
-- MariaDB 10.11 / MySQL 8, InnoDB, utf8mb4.

ALTER TABLE pchat_group_member MODIFY user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'sip:user@domain, canonical';
ALTER TABLE pchat_role MODIFY principal VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'sip:user@domain or a domain name, canonical; or a pchat_group name';
ALTER TABLE pchat_scope MODIFY principal VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'sip:user@domain or a domain name, canonical; or a pchat_group name';
ALTER TABLE pchat_policy MODIFY scope VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'empty for global; domain name; or sip:user@domain; canonical';
ALTER TABLE pchat_message MODIFY author VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'sip:user@domain of the poster, canonical';
ALTER TABLE pchat_invitation
	MODIFY user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL COMMENT 'sip:user@domain, canonical',
	MODIFY invited_by VARCHAR(255) COLLATE utf8mb4_bin NOT NULL DEFAULT ''
		COMMENT 'canonical URI of the inviting user, or admin';
ALTER TABLE pchat_preference MODIFY user_uri VARCHAR(255) COLLATE utf8mb4_bin NOT NULL
	COMMENT 'sip:user@domain, canonical';

DELIMITER //

-- A host or domain: lower case, without one trailing dot.
CREATE FUNCTION pchat_upgrade3_host(h VARCHAR(255)) RETURNS VARCHAR(255)
	CHARACTER SET utf8mb4 DETERMINISTIC
BEGIN
	IF CHAR_LENGTH(h) > 1 AND RIGHT(h, 1) = '.' THEN
		SET h = LEFT(h, CHAR_LENGTH(h) - 1);
	END IF;
	RETURN LOWER(h);
END //

-- A sip:/sips: URI in canonical form; anything else unchanged.
CREATE FUNCTION pchat_upgrade3_uri(u VARCHAR(255)) RETURNS VARCHAR(255)
	CHARACTER SET utf8mb4 DETERMINISTIC
BEGIN
	DECLARE rest, usr, host, canon VARCHAR(1024) CHARACTER SET utf8mb4 DEFAULT '';
	DECLARE c VARCHAR(4) CHARACTER SET utf8mb4;
	DECLARE i, n, x INT;

	IF LOWER(LEFT(u, 4)) = 'sip:' THEN
		SET rest = SUBSTRING(u, 5);
	ELSEIF LOWER(LEFT(u, 5)) = 'sips:' THEN
		SET rest = SUBSTRING(u, 6);
	ELSE
		RETURN u;
	END IF;
	IF LOCATE('@', rest) = 0 THEN
		RETURN u;
	END IF;
	SET usr = SUBSTRING_INDEX(rest, '@', 1);
	SET host = SUBSTRING(rest, CHAR_LENGTH(usr) + 2);
	SET host = SUBSTRING_INDEX(SUBSTRING_INDEX(host, ';', 1), '?', 1);
	IF LEFT(host, 1) = '[' THEN
		SET host = CONCAT(SUBSTRING_INDEX(host, ']', 1), ']');
	ELSE
		SET host = SUBSTRING_INDEX(host, ':', 1);
	END IF;
	SET i = 1, n = CHAR_LENGTH(usr);
	WHILE i <= n DO
		SET c = SUBSTRING(usr, i, 1);
		IF c = '%' AND i + 2 <= n
				AND SUBSTRING(usr, i + 1, 2) REGEXP '^[0-9A-Fa-f]{2}$' THEN
			SET x = CONV(SUBSTRING(usr, i + 1, 2), 16, 10);
			IF x BETWEEN 48 AND 57 OR x BETWEEN 65 AND 90 OR x BETWEEN 97 AND 122
					OR x IN (45, 95, 46, 33, 126, 42, 39, 40, 41) THEN
				SET c = CHAR(x USING utf8mb4);
			ELSE
				SET c = UPPER(SUBSTRING(usr, i, 3));
			END IF;
			SET i = i + 2;
		END IF;
		IF ORD(c) BETWEEN 65 AND 90 THEN
			SET c = CHAR(ORD(c) + 32 USING utf8mb4);
		END IF;
		SET canon = CONCAT(canon, c), i = i + 1;
	END WHILE;
	RETURN CONCAT('sip:', canon, '@', pchat_upgrade3_host(host));
END //

DELIMITER ;

-- Rewrite; a row whose canonical form already exists stays behind the
-- IGNORE and is removed after.
UPDATE IGNORE pchat_group_member SET user_uri = pchat_upgrade3_uri(user_uri);
DELETE FROM pchat_group_member WHERE user_uri <> pchat_upgrade3_uri(user_uri);

UPDATE IGNORE pchat_role SET principal = pchat_upgrade3_uri(principal)
	WHERE principal_type = 'user';
UPDATE IGNORE pchat_role SET principal = pchat_upgrade3_host(principal)
	WHERE principal_type = 'domain';
DELETE FROM pchat_role WHERE (principal_type = 'user'
		AND principal <> pchat_upgrade3_uri(principal))
	OR (principal_type = 'domain' AND principal <> pchat_upgrade3_host(principal));

UPDATE IGNORE pchat_scope SET principal = pchat_upgrade3_uri(principal)
	WHERE principal_type = 'user';
UPDATE IGNORE pchat_scope SET principal = pchat_upgrade3_host(principal)
	WHERE principal_type = 'domain';
DELETE FROM pchat_scope WHERE (principal_type = 'user'
		AND principal <> pchat_upgrade3_uri(principal))
	OR (principal_type = 'domain' AND principal <> pchat_upgrade3_host(principal));

UPDATE IGNORE pchat_policy SET scope = pchat_upgrade3_uri(scope) WHERE scope_type = 'user';
UPDATE IGNORE pchat_policy SET scope = pchat_upgrade3_host(scope) WHERE scope_type = 'domain';
DELETE FROM pchat_policy WHERE (scope_type = 'user' AND scope <> pchat_upgrade3_uri(scope))
	OR (scope_type = 'domain' AND scope <> pchat_upgrade3_host(scope));

UPDATE pchat_message SET author = pchat_upgrade3_uri(author);

UPDATE IGNORE pchat_invitation SET user_uri = pchat_upgrade3_uri(user_uri),
	invited_by = pchat_upgrade3_uri(invited_by);
DELETE FROM pchat_invitation WHERE user_uri <> pchat_upgrade3_uri(user_uri);

UPDATE IGNORE pchat_preference SET user_uri = pchat_upgrade3_uri(user_uri);
DELETE FROM pchat_preference WHERE user_uri <> pchat_upgrade3_uri(user_uri);

DROP FUNCTION pchat_upgrade3_uri;
DROP FUNCTION pchat_upgrade3_host;

INSERT INTO version (table_name, table_version) VALUES
	('pchat_config', 3), ('pchat_node', 3), ('pchat_group', 3), ('pchat_group_member', 3),
	('pchat_role', 3), ('pchat_scope', 3), ('pchat_policy', 3), ('pchat_addin', 3),
	('pchat_message', 3), ('pchat_invitation', 3), ('pchat_preference', 3)
	ON DUPLICATE KEY UPDATE table_version = VALUES(table_version);
