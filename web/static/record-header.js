// The parts of the record's header the inspector fills in (record_header.py checks them):
// the officers with their enforcement certificate numbers (执法证号), the record keeper
// (记录人), and what each interviewee said of themselves — ID, phone, address, as told.
// Saved with the turns as part of the next version.

import { t } from './i18n.js';
import { h, fill } from './dom.js';
import './record-text.js';

const ID_TYPES = ['居民身份证', '护照', '港澳居民来往内地通行证', '台湾居民来往大陆通行证', '外国人永久居留身份证', '其他'];
const CLAIMED = ['id_number', 'phone', 'address'];
let serial = 0;

export class HeaderForm {
  /** box: the element to draw into; onChange() hears every edit. */
  constructor(box, { onChange }) {
    this.box = box;
    this.onChange = onChange;
    this.officers = [];
    this.recorder = '';
    this.people = [];
    this.editable = false;
  }

  load(header, editable) {
    this.officers = (header.inspectors || []).map((p) => ({ name: p.name || '', badge: p.badge || '' }));
    this.recorder = header.recorder || '';
    this.people = (header.interviewees || []).map((p) => ({ ...p }));
    this.editable = editable;
    this.render();
  }

  /** The header edit as POST …/record/versions takes it. */
  value() {
    return {
      inspectors: this.officers.filter((p) => p.name.trim()).map((p) => ({ name: p.name, badge: p.badge })),
      recorder: this.recorder,
      interviewees: this.people.map((p) => {
        const out = { id_type: p.id_type || '' };
        for (const name of CLAIMED) out[name] = p[name] || '';
        return out;
      }),
    };
  }

  render() {
    this.box.hidden = !this.editable;
    if (!this.editable) return;
    fill(this.box,
      h('h3', {}, t('rh.officers')),
      h('p', { class: 'muted' }, t('rh.officers.help')),
      h('ol', { class: 'officers', 'data-testid': 'officers' }, this.officers.map((p, i) => this.officerRow(p, i))),
      h('button', { type: 'button', 'data-testid': 'add-officer', onclick: () => this.addOfficer() }, t('rh.add_officer')),
      this.field(t('rh.recorder'), this.recorder, (value) => { this.recorder = value; }, 'recorder'),
      ...this.people.map((p) => this.personBlock(p)));
  }

  officerRow(person, index) {
    const row = h('li', { class: 'officer' },
      this.field(t('rh.name'), person.name, (value) => { person.name = value; }, 'officer-name'),
      this.field(t('rh.badge'), person.badge, (value) => { person.badge = value; }, 'officer-badge'));
    if (this.officers.length > 1) {
      row.append(h('button', {
        type: 'button', class: 'link',
        'aria-label': t('rh.remove_officer', { name: person.name || String(index + 1) }),
        onclick: () => { this.officers.splice(index, 1); this.changed(); },
      }, t('rh.remove')));
    }
    return row;
  }

  personBlock(person) {
    const id = `rh-type-${++serial}`;
    const select = h('select', { id, 'data-testid': 'id-type' },
      h('option', { value: '' }, t('rh.id_type.none')),
      ...ID_TYPES.map((type) => h('option', { value: type }, type)));
    select.value = person.id_type || '';
    select.addEventListener('change', () => { person.id_type = select.value; this.onChange(); });
    return h('fieldset', { class: 'claimed' },
      h('legend', {}, t('rh.person', { name: person.name })),
      h('p', { class: 'muted' }, t('rh.claimed.help')),
      h('label', { for: id }, t('rh.id_type')), select,
      this.field(t('rh.id_number'), person.id_number, (value) => { person.id_number = value; }, 'id-number'),
      this.field(t('rh.phone'), person.phone, (value) => { person.phone = value; }, 'phone', 'tel'),
      this.field(t('rh.address'), person.address, (value) => { person.address = value; }, 'address'));
  }

  field(label, value, set, testid, type = 'text') {
    const id = `rh-${++serial}`;
    const input = h('input', { id, type, value: value || '', 'data-testid': testid, autocomplete: 'off' });
    input.addEventListener('input', () => { set(input.value); this.onChange(); });
    return h('div', { class: 'field' }, h('label', { for: id }, label), input);
  }

  addOfficer() {
    this.officers.push({ name: '', badge: '' });
    this.changed();
    const names = this.box.querySelectorAll('[data-testid="officer-name"]');
    names[names.length - 1].focus();
  }

  changed() {
    this.render();
    this.onChange();
  }
}
