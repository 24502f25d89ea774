-- An attempt records its answer's headers (hookd.HeaderLines: "Name: value"
-- lines, at most 2 KiB), shown with the response on a delivery's page and
-- in the API. Attempts recorded before have none.
ALTER TABLE attempts ADD COLUMN response_headers TEXT NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN attempt1_response_headers TEXT;
