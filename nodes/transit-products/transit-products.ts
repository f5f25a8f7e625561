// transit-products: the pass products a sales terminal sells, edited as a table in the
// editor. The catalogue is checked once, at deploy; a terminal using a bad one sells
// nothing and says why (see transit-sale).
import type { NodeAPI, NodeDef } from 'node-red';
import type { NodeConstructorAny, ProductsNode } from '../common/types';
import { parseCatalogue } from '../lib/transit/products';

interface ProductsConfig extends NodeDef {
    products?: unknown;
}

export = function register(RED: NodeAPI): void {
    function TransitProducts(this: ProductsNode, config: ProductsConfig) {
        RED.nodes.createNode(this, config);
        try {
            this.catalogue = Object.freeze(parseCatalogue(config.products));
        } catch (err) {
            this.problem = err as Error;
            this.error(RED._('transit-products.errors.bad-catalogue', { error: this.problem.message }));
        }
    }
    RED.nodes.registerType('transit-products', TransitProducts as unknown as NodeConstructorAny);
};
