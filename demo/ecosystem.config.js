'use strict';
// The demo's PM2 ecosystem file: what the team meant to run. The incident: the API was deployed, the
// worker never was (here it is in the file, but not in PM2). vigil reads this file, expects both apps,
// and — `restart: true` in vigil.yml — starts the worker from its entry here when it is missing.
//
// The connection strings come from the demo runner's environment (its private stack's ports). vigil
// gives a worker it starts only the entry's own `env` (never vigil's environment), so they are copied
// into each entry here, as a real ecosystem file would name its DATABASE_URL and REDIS_URL.
const path = require('node:path');

const connections = {
  REDIS_URL: process.env.DEMO_REDIS_URL || '',
  DATABASE_URL: process.env.DEMO_DATABASE_URL || '',
};

module.exports = {
  apps: [
    {
      name: 'avatar-api',
      // Absolute: the runner starts the API from a copy of this entry written elsewhere.
      script: path.join(__dirname, 'apps', 'avatar-api.js'),
      env: { ...connections, PORT: process.env.DEMO_API_PORT || '' },
    },
    {
      name: 'avatar-generator-worker',
      script: path.join(__dirname, 'apps', 'avatar-generator-worker.js'),
      env: { ...connections, JOB_MS: '300' },
    },
  ],
};
