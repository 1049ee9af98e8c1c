const { projectConfig } = require('../../jest.preset');

module.exports = projectConfig(__dirname, 'postgres-server');
