-- The objects table follows the change log (hand-written; drizzle-kit does not model triggers).
-- A write inserts only its change row; these triggers apply it to `objects` in the same
-- statement, so a bulk write is one INSERT … SELECT for hundreds of rows, and an object's
-- value crosses the wire once.
CREATE TRIGGER `objects_follow_write` AFTER INSERT ON `changes`
WHEN NEW.`type` <> 'DELETED'
BEGIN
	INSERT INTO `objects` (`api_group`, `resource`, `namespace`, `name`, `revision`, `value`)
	VALUES (NEW.`api_group`, NEW.`resource`, NEW.`namespace`, NEW.`name`, NEW.`revision`, NEW.`value`)
	ON CONFLICT (`api_group`, `resource`, `namespace`, `name`) DO UPDATE SET `revision` = excluded.`revision`, `value` = excluded.`value`;
END;
--> statement-breakpoint
CREATE TRIGGER `objects_follow_delete` AFTER INSERT ON `changes`
WHEN NEW.`type` = 'DELETED'
BEGIN
	DELETE FROM `objects`
	WHERE `api_group` = NEW.`api_group` AND `resource` = NEW.`resource` AND `namespace` = NEW.`namespace` AND `name` = NEW.`name`;
END;
