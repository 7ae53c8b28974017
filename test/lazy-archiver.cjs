/**
 * jest moduleNameMapper target for `archiver`: cdktf requires it when it loads (lib/private/fs.js), to zip
 * TerraformAssets of type ARCHIVE, which no stack here creates. Loading it and its stream libraries cost about a
 * third of what every test file spent loading cdktf; this loads the real package on its first call instead.
 */
const { join } = require('node:path');

module.exports = (...args) => require(join(__dirname, '..', 'node_modules', 'archiver'))(...args);
