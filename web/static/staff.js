// What every staff page shares: who is logged in, the top bar, logging out.

import { api, goToLogin } from './api.js';
import { addStrings, t, onLangChange, setTimeZone } from './i18n.js';

addStrings({
  'role.supervisor': { zh: '科（队）长', en: 'Supervisor' },
  'nav.complaints': { zh: '投诉', en: 'Complaints' },
});

/** Inspectors create and change cases; legal staff (and anyone else) only read. */
export function canChange(user) {
  return user.role === 'inspector';
}

function renderUser(user) {
  const name = document.getElementById('user-name');
  const role = document.getElementById('user-role');
  name.textContent = user.display_name || user.username;
  role.textContent = t(`role.${user.role}`);
}

/** Administrators reach the account page from every staff page's top bar. */
function addAdminLink() {
  addLink('/admin/users', 'nav.admin');
}

function addLink(href, key) {
  if (location.pathname === href) return;
  const link = document.createElement('a');
  link.href = href;
  link.dataset.i18n = key; // re-translated with the page
  link.textContent = t(key);
  document.getElementById('logout').before(link);
}

async function logout(event) {
  event.currentTarget.disabled = true;
  try {
    await api('/api/logout', { method: 'POST', redirectOn401: false });
  } catch (_) {
    // Already logged out or offline: the login page is the right place either way.
  }
  location.assign('/login');
}

/** Load the logged-in user (or go to the login page) and fill the top bar. */
export async function startStaffPage() {
  const { user, time_zone: zone } = await api('/api/me');
  setTimeZone(zone); // the pages show times as the records write them
  if (!user) {
    goToLogin();
    return new Promise(() => {});
  }
  renderUser(user);
  if (user.role === 'admin') addAdminLink();
  if (user.role === 'inspector' || user.role === 'supervisor') addLink('/complaints', 'nav.complaints');
  document.getElementById('user-box').hidden = false;
  document.getElementById('logout').addEventListener('click', logout);
  onLangChange(() => renderUser(user));
  return user;
}
