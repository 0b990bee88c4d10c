// The reference of the uncached rows: bare Express 5 (defaults) that fetches the account from
// the same upstream for every request and answers it as JSON.
import express from 'express';

const upstream = process.env.UPSTREAM_URL;
const app = express();
app.get('/:any', async (_req, res, next) => {
  try {
    const response = await fetch(upstream);
    res.json(await response.json());
  } catch (error) {
    next(error);
  }
});
const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.send?.('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
