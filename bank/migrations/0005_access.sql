-- The bank's database, version 5: reserved; filled by the change that needs it.
SELECT 1;
