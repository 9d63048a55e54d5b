import { LabIcon } from '@jupyterlab/ui-components';

/** A notebook page with a padlock; `jp-icon3` fills follow the light/dark theme. */
const KAP_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M5 2h10l4 4v6.2a6 6 0 0 0-2-.2V7h-3V4H7v16h5.3a6 6 0 0 0 .7 2H5z"/>
    <path d="M8 9h7v1.5H8zM8 12h5v1.5H8zM8 15h4v1.5H8z"/>
    <path d="M17.5 13a2.5 2.5 0 0 0-2.5 2.5V17h-1v5h7v-5h-1v-1.5a2.5 2.5 0 0 0-2.5-2.5zm0 1.4c.6 0 1.1.5 1.1 1.1V17h-2.2v-1.5c0-.6.5-1.1 1.1-1.1z"/>
  </g>
</svg>`;

export const kapIcon = new LabIcon({ name: 'kap-notes:kap', svgstr: KAP_SVG });
