import { createApp } from 'vue';
import { z } from 'zod';
import App from './App.vue';
import './styles.css';

// The page's Content-Security-Policy forbids eval: zod must not even try to compile its validators with it.
z.config({ jitless: true });

// The room page is in the entry chunk (no second request before a room can load); the admin page is its
// own chunk, fetched only on /admin.
if (window.location.pathname.startsWith('/admin')) void import('./admin/AdminApp.vue').then((m) => createApp(m.default).mount('#app'));
else createApp(App).mount('#app');
