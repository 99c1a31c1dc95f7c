'use strict';
// pg-pool's own test suite (upstream/, MIT, from brianc/node-postgres packages/pg-pool/test)
// requires '../' as its Pool. This is that Pool: createPool over a static secret holding the user
// and password the test would have passed to pg-pool (or PGUSER/PGPASSWORD), everything else as given.
const { createPool } = require('@leasehold/pg');
const { manualSecret } = require('@leasehold/testing');

function Pool(options, Client) {
  const { user, password, ...rest } = options || {};
  const source = manualSecret('pg-pool-suite', {
    username: user ?? process.env.PGUSER,
    password: password ?? process.env.PGPASSWORD ?? '',
  });
  const config = Client === undefined ? rest : { ...rest, Client };
  const pool = createPool(source.secret, config);
  const end = pool.end.bind(pool);
  pool.end = (callback) => {
    const closeSecret = () => source.secret.close();
    if (typeof callback === 'function') {
      return end((error) => {
        void closeSecret().then(() => callback(error));
      });
    }
    return end().finally(closeSecret);
  };
  return pool;
}

module.exports = Pool;
