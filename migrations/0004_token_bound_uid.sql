-- A ServiceAccount token names the uid of the ServiceAccount it was issued for: once no
-- ServiceAccount of that uid exists (deleted, or deleted and made again), the token is void.
ALTER TABLE `tokens` ADD `bound_uid` text;
