import { createApp } from 'vue';
import './styles.css';

// The admin page is its own chunk: a drawing room never downloads it.
const page = window.location.pathname.startsWith('/admin') ? import('./admin/AdminApp.vue') : import('./App.vue');
page.then((m) => createApp(m.default).mount('#app'));
