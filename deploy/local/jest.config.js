const { projectConfig } = require('../../jest.preset');

module.exports = projectConfig(__dirname, 'local-infra', { infra: true });
