-- Events by their last write (hand-written, as 0003): the controller loop finds the Events whose
-- time to live has run out, least recently written first, without reading every Event. Partial:
-- only Event rows carry it, so other kinds' writes pay nothing for it.
CREATE INDEX `objects_events_by_write` ON `objects` (`api_group`, `resource`, `revision`)
WHERE `api_group` = '' AND `resource` = 'events';
