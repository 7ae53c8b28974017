const tempDir = require('./temp-dir.cjs');
const typecheck = require('./typecheck.cjs');

module.exports = async () => {
  try {
    await typecheck.finish();
  } finally {
    await tempDir.teardown();
  }
};
