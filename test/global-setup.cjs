const tempDir = require('./temp-dir.cjs');
const typecheck = require('./typecheck.cjs');

module.exports = async () => {
  await tempDir.setup();
  typecheck.start();
};
