/**
 * What a team reads when its sst.config.ts gives the Prism component (@prism/sst) a name Prism uses
 * itself: the component's name becomes its link (`Resource.<name>`), and SST keeps one link
 * reference per top-level name, so it must differ from every name Prism creates in the app.
 */
export const componentMessages = {
  nameTaken: (name: string, taken: readonly string[]) =>
    `The Prism component cannot be named "${name}": Prism creates a resource of that name in the app (SST link names ignore case). Choose another name, such as "Prism" or "ImageUploads". Prism's names: ${taken.join(", ")}.`,
};
