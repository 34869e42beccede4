// Form interactions without values: focus, change and submit name the form and the field (by
// name or id), and a form touched but not submitted when its page is left is `abandon`ed.
// Whether a field is masked (passwords, data-footfall-mask) is decided here too, for key events.
import { enabled } from './config.js';
import { clean } from './describe.js';
import { emit } from './queue.js';

// form name -> the last field touched in it, for forms not submitted yet
let touchedForms = {};

// Key events come in runs on one field: its masking is looked up once per field, unless the
// field sits in shadow DOM, where the composed path is needed every time.
let maskTarget;
let maskPath;

export const isMasked = (event, target) => {
  if (target != maskTarget || maskPath[1]) {
    maskTarget = target;
    maskPath = event.composedPath();
    maskPath.some((node) => node instanceof ShadowRoot) || (maskPath = [target]);
  }
  return maskPath.some((node) => node.closest?.('[type=password],[data-footfall-mask]'));
};

export const abandonForms = () => {
  for (const form in touchedForms)
    enabled('formInteractions') &&
      emit('form', { action: 'abandon', form, field: touchedForms[form] });
  touchedForms = {};
};

export const formListener = (action) => (event) => {
  // A field that gains focus or changes may have become (un)masked.
  maskTarget = 0;
  const target = event.target;
  const form = action == 'submit' ? target : target.form;
  const field = form == target ? undefined : clean(target.getAttribute('name') || target.id);
  const formName = form ? clean(form.getAttribute('name') || form.getAttribute('id') || '') : '';
  if (
    enabled('formInteractions') &&
    (form == target || /^(INPUT|SELECT|TEXTAREA)$/.test(target.tagName))
  ) {
    if (form == target) delete touchedForms[formName];
    else if (form) touchedForms[formName] = field;
    emit('form', { action, form: formName, field });
  }
};
