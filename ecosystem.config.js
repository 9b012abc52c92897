// Runs vigil itself under PM2: `pm2 start ecosystem.config.js`. Fork mode, one instance (two vigils
// would double every alert). kill_timeout leaves room for vigil's bounded shutdown (about 4 s at most)
// instead of PM2's default 1.6 s before SIGKILL.
module.exports = {
  apps: [
    {
      name: 'vigil',
      script: './dist/cli.js',
      args: 'start',
      exec_mode: 'fork',
      instances: 1,
      kill_timeout: 5000,
      max_memory_restart: '300M',
      env: {
        // VIGIL_CONFIG: '/etc/vigil/vigil.yml',
      },
    },
  ],
};
