// Form interactions without values: focus, change and submit name the form and the field (by
// name or id), and a form touched but not submitted when its page is left is `abandon`ed.
import { enabled } from './config.js';
import { clean } from './describe.js';
import { emit } from './queue.js';

// form name -> the last field touched in it, for forms not submitted yet
let touchedForms = {};

export const abandonForms = () => {
  for (const form in touchedForms)
    enabled('formInteractions') &&
      emit('form', { action: 'abandon', form, field: touchedForms[form] });
  touchedForms = {};
};

// A form's or field's name attribute, else its id ("" if neither). Read as attributes: a form's
// `name` and `id` properties would be its fields of that name.
const nameOf = (element) =>
  clean(element?.getAttribute('name') || element?.getAttribute('id') || '');

// focusin, change and submit on document.
export const formListener = (event) => {
  const type = event.type;
  const target = event.target;
  const submit = type == 'submit';
  if (enabled('formInteractions') && (submit || target.matches('input,select,textarea'))) {
    // A submit's target is the form; a field's form is null outside forms.
    const form = submit ? target : target.form;
    const formName = nameOf(form);
    const field = submit ? undefined : nameOf(target);
    submit ? delete touchedForms[formName] : form && (touchedForms[formName] = field);
    emit('form', { action: type == 'focusin' ? 'focus' : type, form: formName, field });
  }
};
