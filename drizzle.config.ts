import { defineConfig } from 'drizzle-kit';

// `npm run db:generate` turns src/store/schema.ts into SQL under migrations/;
// the daemon applies them at start-up (src/store/open-database.ts).
export default defineConfig({
  dialect: 'sqlite',
  schema: './src/store/schema.ts',
  out: './migrations',
});
