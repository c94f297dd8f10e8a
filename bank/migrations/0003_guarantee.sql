-- The bank's database, version 3: reserved; filled by the change that needs it.
SELECT 1;
