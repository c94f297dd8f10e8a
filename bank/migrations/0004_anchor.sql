-- The bank's database, version 4: reserved; filled by the change that needs it.
SELECT 1;
