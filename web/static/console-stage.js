// One party's video large in the console: the enlarged tile fills the stage and the
// others become a strip under it. Its 放大 button, a double-click on its video, or Esc
// bring everyone back side by side.

import { t } from './i18n.js';
import { h } from './dom.js';
import './console-text.js';

export class Stage {
  /** container: the element that holds the tiles (#tiles). */
  constructor(container) {
    this.container = container;
    this.buttons = new Map(); // ParticipantTile → its enlarge button
    this.enlarged = null;
    this.onKey = (event) => {
      // A dialog open over the stage (a snapshot shown large) takes Esc for itself.
      if (event.key !== 'Escape' || !this.enlarged || document.querySelector('dialog[open]')) return;
      this.show(null);
    };
    document.addEventListener('keydown', this.onKey);
  }

  /** Give a ParticipantTile its enlarge button and double-click. */
  attach(tile) {
    const button = h('button', {
      type: 'button', class: 'small', 'data-testid': 'enlarge', onclick: () => this.toggle(tile),
    });
    this.buttons.set(tile, button);
    tile.el.querySelector('.tile-video').addEventListener('dblclick', () => this.toggle(tile));
    tile.el.querySelector('.tile-actions').prepend(button);
    tile.onRender(() => this.label(tile));
  }

  toggle(tile) {
    this.show(this.enlarged === tile ? null : tile);
  }

  /** Enlarge `tile`, or none: null. */
  show(tile) {
    const was = this.enlarged;
    this.enlarged = tile;
    this.render();
    // The enlarged tile's top at the screen's: its video and its buttons both in view.
    if (tile) tile.el.scrollIntoView({ block: 'start' });
    else if (was) was.el.scrollIntoView({ block: 'nearest' });
  }

  render() {
    this.container.classList.toggle('has-enlarged', this.enlarged !== null);
    for (const tile of this.buttons.keys()) {
      tile.el.classList.toggle('is-enlarged', tile === this.enlarged);
      this.label(tile);
    }
  }

  label(tile) {
    const button = this.buttons.get(tile);
    if (!button) return;
    const on = tile === this.enlarged;
    button.textContent = t(on ? 'stage.restore' : 'stage.enlarge');
    button.setAttribute('aria-label', t(on ? 'stage.restore_label' : 'stage.enlarge_label',
      { name: tile.participant.name || t('console.someone') }));
  }

  stop() {
    document.removeEventListener('keydown', this.onKey);
    this.enlarged = null;
    this.buttons.clear();
    this.container.classList.remove('has-enlarged');
  }
}
