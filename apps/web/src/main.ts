import { createApp } from 'vue';
import { z } from 'zod';
import './styles.css';

// The page's Content-Security-Policy forbids eval: zod must not even try to compile its validators with it.
z.config({ jitless: true });

// The admin page is its own chunk: a drawing room never downloads it.
const page = window.location.pathname.startsWith('/admin') ? import('./admin/AdminApp.vue') : import('./App.vue');
page.then((m) => createApp(m.default).mount('#app'));
