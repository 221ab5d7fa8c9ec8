-- A ServiceAccount token names the uid of the ServiceAccount it was issued for, a node credential
-- that of its Node once registered: once no object of that uid exists (deleted, or deleted and
-- made again), the token is void.
ALTER TABLE `tokens` ADD `bound_uid` text;
