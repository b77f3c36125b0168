/** The store the workflow steps write to, built once per Lambda container. */
export { defaultStore as stepStore } from '../app/table';
