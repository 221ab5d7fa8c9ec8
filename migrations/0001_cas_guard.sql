-- Compare-and-swap guard (hand-written; drizzle-kit does not model views with triggers).
-- Every write batch first inserts its precondition's outcome into this view: anything but
-- 'ok' aborts the statement, and with it the whole batch (D1 and libSQL batches are atomic),
-- so a failed CAS writes nothing. The store maps 'edgeplane:<Code>' back to a StoreError.
CREATE VIEW `cas_guard` AS SELECT 'ok' AS `outcome` WHERE 0;
--> statement-breakpoint
CREATE TRIGGER `cas_guard_not_found` INSTEAD OF INSERT ON `cas_guard`
WHEN NEW.`outcome` = 'NotFound'
BEGIN
	SELECT RAISE(ABORT, 'edgeplane:NotFound');
END;
--> statement-breakpoint
CREATE TRIGGER `cas_guard_conflict` INSTEAD OF INSERT ON `cas_guard`
WHEN NEW.`outcome` = 'Conflict'
BEGIN
	SELECT RAISE(ABORT, 'edgeplane:Conflict');
END;
--> statement-breakpoint
CREATE TRIGGER `cas_guard_already_exists` INSTEAD OF INSERT ON `cas_guard`
WHEN NEW.`outcome` = 'AlreadyExists'
BEGIN
	SELECT RAISE(ABORT, 'edgeplane:AlreadyExists');
END;
--> statement-breakpoint
-- The compacted revision starts at 0; the row always exists, so one query reads it with the current revision.
INSERT INTO `meta` (`key`, `value`) VALUES ('compacted', 0);
