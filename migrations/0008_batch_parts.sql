CREATE TABLE `batch_parts` (
	`publisher` text NOT NULL,
	`seq` integer NOT NULL,
	`part` integer NOT NULL,
	`text` text NOT NULL,
	PRIMARY KEY(`publisher`, `seq`, `part`)
);
--> statement-breakpoint
ALTER TABLE `batches` ADD `jws_bytes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
-- Batches stored before parts existed: each JWS becomes one part (readers do not depend on part sizes).
INSERT INTO `batch_parts` (`publisher`, `seq`, `part`, `text`) SELECT `publisher`, `seq`, 0, `jws` FROM `batches`;
--> statement-breakpoint
UPDATE `batches` SET `jws_bytes` = octet_length(`jws`);
