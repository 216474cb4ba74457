// Bearer token handling: asked once in a dialog, kept for the tab's life in sessionStorage.
/* global sessionStorage */
import { $ } from './dom.js';
import { config } from './state.js';

const TOKEN_KEY = 'nanite-control-tower-token';
let prompt = null;

/** Request headers with the token added when the tower wants one. */
export function authHeaders(extra) {
  const headers = Object.assign({}, extra);
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (config.auth === 'token' && token) headers.authorization = `Bearer ${token}`;
  return headers;
}

/** True once a token was entered (so a 401 means it was refused). */
export const hasToken = () => sessionStorage.getItem(TOKEN_KEY) !== null;

/** Shows the token dialog; resolves once a token was entered. */
export function askToken(message) {
  prompt ??= new Promise((resolve) => {
    const dialog = $('auth-dialog');
    $('auth-message').textContent = message;
    $('auth-form').onsubmit = (e) => {
      e.preventDefault();
      const value = $('auth-token').value.trim();
      if (!value) return;
      sessionStorage.setItem(TOKEN_KEY, value);
      dialog.close();
      prompt = null;
      resolve();
    };
    dialog.showModal();
    $('auth-token').focus();
  });
  return prompt;
}
