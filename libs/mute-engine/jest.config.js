const { projectConfig } = require('../../jest.preset');

const base = projectConfig(__dirname, 'mute-engine');

// temporal-polyfill and its temporal-utils (the property test's independent reference) ship ES modules only: SWC turns them into
// CommonJS for Jest.
module.exports = {
  ...base,
  transform: {
    ...base.transform,
    '/node_modules/temporal-(polyfill|utils)/.+\\.js$': [
      '@swc/jest',
      {
        swcrc: false,
        jsc: { parser: { syntax: 'ecmascript' }, target: 'es2023' },
        module: { type: 'commonjs' },
      },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!temporal-(polyfill|utils)/)'],
};
