// First: the page's Content-Security-Policy forbids eval, and zod must know before any schema is used.
import './zod-jitless.js';
import { createApp } from 'vue';
import App from './App.vue';
import './styles.css';

// The room page is in the entry chunk (no second request before a room can load); the admin page is its
// own chunk, fetched only on /admin.
if (window.location.pathname.startsWith('/admin')) void import('./admin/AdminApp.vue').then((m) => createApp(m.default).mount('#app'));
else createApp(App).mount('#app');
