const { projectConfig } = require('../jest.preset');

module.exports = projectConfig(__dirname, 'test-e2e', { infra: true });
