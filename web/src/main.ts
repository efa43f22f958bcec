// Placeholder until the web client lands: proves the build and the static serving path.
const app = document.getElementById('app');
if (app) app.textContent = 'P2SP Chat';
