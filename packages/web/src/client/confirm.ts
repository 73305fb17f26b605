let dialogCount = 0;

/** A modal yes/no question; resolves true only when the person confirms. */
export function confirmDialog(options: { title: string; message: string; confirmLabel: string }): Promise<boolean> {
  const id = `confirm-${++dialogCount}`;
  const dialog = document.createElement("dialog");
  dialog.className = "confirm";
  dialog.setAttribute("aria-labelledby", `${id}-title`);
  dialog.setAttribute("aria-describedby", `${id}-message`);
  const title = dialog.appendChild(document.createElement("h2"));
  title.id = `${id}-title`;
  title.textContent = options.title;
  const message = dialog.appendChild(document.createElement("p"));
  message.id = `${id}-message`;
  message.textContent = options.message;
  const actions = dialog.appendChild(document.createElement("div"));
  actions.className = "confirm-actions";
  const cancel = actions.appendChild(document.createElement("button"));
  cancel.type = "button";
  cancel.className = "button";
  cancel.textContent = "Cancel";
  const confirm = actions.appendChild(document.createElement("button"));
  confirm.type = "button";
  confirm.className = "button button-danger-solid";
  confirm.textContent = options.confirmLabel;
  document.body.append(dialog);
  return new Promise((resolve) => {
    cancel.addEventListener("click", () => dialog.close("cancel"));
    confirm.addEventListener("click", () => dialog.close("confirm"));
    dialog.addEventListener("close", () => {
      resolve(dialog.returnValue === "confirm");
      dialog.remove();
    });
    dialog.showModal();
    cancel.focus();
  });
}
