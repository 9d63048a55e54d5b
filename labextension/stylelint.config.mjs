// stylelint for labextension/style, after the JupyterLab extension template: the standard
// config; vendor prefixes allowed and class names in JupyterLab's `jp-Block-element` shape
// (`kap-Panel-item`), as JupyterLab's own CSS.
export default {
  extends: ['stylelint-config-standard'],
  rules: {
    'property-no-vendor-prefix': null,
    'selector-no-vendor-prefix': null,
    'value-no-vendor-prefix': null,
    'selector-class-pattern': null
  }
};
