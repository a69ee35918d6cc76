"""The cluster inventory: Namespaces, Nodes, Pods (real or synthesized) and Services."""

from .build import INVENTORY_KINDS, build_inventory
from .objects import (NAMESPACE_NAME_LABEL, ContainerPort, Inventory, Namespace, Node, Pod, Service,
                      ServicePort)

__all__ = ["INVENTORY_KINDS", "NAMESPACE_NAME_LABEL", "ContainerPort", "Inventory", "Namespace",
           "Node", "Pod", "Service", "ServicePort", "build_inventory"]
